# A package set in the style of nixpkgs, built from the Nixpkgs library:
# lib.fix over lib.extends of n overlays composed with
# lib.composeManyExtensions, packages made with lib.callPackageWith (so
# lib.makeOverridable) and overlays that .override some of them.
{ n ? 1000 }:
let
  lib = import <nixpkgs-lib/lib>;

  mkPackage = { name, version ? "1.0", deps ? [ ] }: {
    inherit name version deps;
    id = "${name}-${version}+${toString (builtins.length deps)}";
  };

  package = i: { mkPackage, lib, deps ? [ ], version ? "1.0" }:
    mkPackage { name = "p${toString i}"; inherit deps version; };

  base = self: {
    inherit lib mkPackage;
    callPackage = lib.callPackageWith self;
  } // lib.listToAttrs (lib.genList (i: lib.nameValuePair "p${toString i}"
    (self.callPackage (package i) {
      deps = lib.optionals (i > 0) [ self."p${toString (i / 2)}" self."p${toString (i - 1)}" ];
    })) n);

  overlay = j: final: prev:
    let name = "p${toString (lib.mod (j * 7) n)}";
    in {
      ${name} = prev.${name}.override { version = "1.${toString j}"; };
    };

  pkgs = lib.fix (lib.extends (lib.composeManyExtensions (lib.genList overlay n)) base);
  ids = lib.genList (i: pkgs."p${toString i}".id) n;
in {
  packages = builtins.length ids;
  digest = builtins.hashString "sha256" (lib.concatStringsSep "," ids);
  deepest = builtins.length pkgs."p${toString (n - 1)}".deps;
}
