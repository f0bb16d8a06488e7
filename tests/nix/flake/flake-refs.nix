# parseFlakeRef and flakeRefToString (absent from Nix 2.8) convert between
# the URL and attribute forms of flake references.
with builtins;
let
  github = {
    type = "github";
    owner = "NixOS";
    repo = "nixpkgs";
    ref = "23.05";
    dir = "lib";
  };
  roundTrips = [
    "github:NixOS/nixpkgs/23.05?dir=lib"
    "github:NixOS/nixpkgs"
    "gitlab:owner/repo/0123456789abcdef0123456789abcdef01234567"
    "flake:nixpkgs"
    "path:/some/dir"
    "git+https://example.org/repo.git?ref=main"
  ];
in
if builtins ? parseFlakeRef then
  parseFlakeRef "github:NixOS/nixpkgs/23.05?dir=lib" == github
  && flakeRefToString github == "github:NixOS/nixpkgs/23.05?dir=lib"
  && (parseFlakeRef "gitlab:owner/repo/0123456789abcdef0123456789abcdef01234567").rev
    == "0123456789abcdef0123456789abcdef01234567"
  && parseFlakeRef "nixpkgs/nixos-23.05" == {
    type = "indirect";
    id = "nixpkgs";
    ref = "nixos-23.05";
  }
  && all (s: flakeRefToString (parseFlakeRef s) == s) roundTrips
else
  true
