# The Nixpkgs library's module system (lib.evalModules) over n service
# modules: typed options (submodules, attrsOf, listOf, enum, port, lines),
# definitions through mkIf, mkMerge, mkDefault and mkForce, and config
# read back by the modules themselves.
{ n ? 300 }:
let
  lib = import <nixpkgs-lib/lib>;
  inherit (lib) mkOption types mkIf mkMerge mkDefault mkForce;

  user = types.submodule {
    options = {
      uid = mkOption { type = types.int; };
      groups = mkOption { type = types.listOf types.str; default = [ ]; };
    };
  };

  service = i: { config, ... }:
    let
      name = "svc${toString i}";
      cfg = config.services.${name};
    in {
      options.services.${name} = {
        enable = mkOption { type = types.bool; default = false; };
        port = mkOption { type = types.port; default = 1000 + i; };
        users = mkOption { type = types.attrsOf user; default = { }; };
        mode = mkOption { type = types.enum [ "fast" "safe" ]; default = "safe"; };
        extraConfig = mkOption { type = types.lines; default = ""; };
      };
      config = mkMerge [
        { services.${name}.enable = mkDefault (lib.mod i 3 != 0); }
        (mkIf cfg.enable {
          services.${name} = {
            users."u${toString i}" = { uid = i; groups = [ "wheel" ]; };
            extraConfig = "listen ${toString cfg.port}";
          };
          environment.lines = [ name ];
        })
        (mkIf (lib.mod i 7 == 0) { services.${name}.mode = mkForce "fast"; })
      ];
    };

  core = {
    options.environment.lines = mkOption { type = types.listOf types.str; default = [ ]; };
  };

  evaluated = lib.evalModules { modules = [ core ] ++ lib.genList service n; };
  services = evaluated.config.services;
  enabled = lib.filterAttrs (_: s: s.enable) services;
in {
  enabled = builtins.length (builtins.attrNames enabled);
  fast = builtins.length (builtins.filter (s: s.mode == "fast") (builtins.attrValues services));
  lines = builtins.length evaluated.config.environment.lines;
  digest = builtins.hashString "sha256" (builtins.toJSON
    (lib.mapAttrs (_: s: { inherit (s) port users extraConfig; }) enabled));
}
