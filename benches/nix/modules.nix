# A miniature module system in the style of nixpkgs' lib.evalModules:
# option declarations merged from every module, definitions pushed through
# mkIf, mkDefault and mkForce priorities, merged by type (bool, int,
# lines, listOf, attrsOf), and `config` a fixpoint that modules read.
# `n` services of three modules each, plus a core module.
{ n ? 1500 }:
let
  inherit (builtins)
    foldl' genList map filter attrNames attrValues concatMap length head isAttrs
    concatStringsSep zipAttrsWith mapAttrs hashString;

  mkOption = { type, default ? null }: { _type = "option"; inherit type default; };
  isOption = x: isAttrs x && (x._type or null) == "option";
  mkIf = cond: content: { _type = "if"; inherit cond content; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;

  values = defs: map (d: d.value) defs;
  types = {
    bool.merge = defs: foldl' (a: v: if a == null || a == v then v else throw "conflicting bools") null (values defs);
    int.merge = defs: foldl' (a: v: if v > a then v else a) (head defs).value (values defs);
    str.merge = defs: (head defs).value;
    lines.merge = defs: concatStringsSep "\n" (values defs);
    listOf = elem: { merge = defs: concatMap (d: d.value) defs; };
    attrsOf = elem: {
      merge = defs: zipAttrsWith (k: vs: elem.merge (map (v: { value = v; }) vs)) (values defs);
    };
  };

  # mkIf around a set applies to each of its attributes.
  pushIf = v:
    if (v._type or null) == "if" then mapAttrs (k: c: mkIf v.cond c) (pushIf v.content) else v;
  discharge = d:
    let v = d.value; in
    if isAttrs v && (v._type or null) == "if" then (if v.cond then discharge (d // { value = v.content; }) else [ ])
    else if isAttrs v && (v._type or null) == "override" then map (e: e // { priority = v.priority; }) (discharge (d // { value = v.content; }))
    else [ d ];
  mergeOption = opt: defs:
    let
      ds = map (d: { priority = 100; } // d) (concatMap discharge defs);
      best = foldl' (m: d: if d.priority < m then d.priority else m) 10000 ds;
      kept = filter (d: d.priority == best) ds;
    in
    if kept == [ ] then opt.default else opt.type.merge kept;
  evalOptions = opts: defs:
    let byName = zipAttrsWith (k: vs: vs) (map (d: mapAttrs (k: v: { inherit (d) file; value = v; }) (pushIf d.value)) defs);
    in mapAttrs (k: o: (if isOption o then mergeOption else evalOptions) o (byName.${k} or [ ])) opts;
  mergeDecls = decls: zipAttrsWith (k: vs: if isOption (head vs) then head vs else mergeDecls vs) decls;

  evalModules = modules:
    let
      results = genList (i: { file = "module-${toString i}"; result = (builtins.elemAt modules i) { inherit config; }; }) (length modules);
      options = mergeDecls (map (r: r.result.options or { }) results);
      config = evalOptions options (map (r: { inherit (r) file; value = r.result.config or { }; }) results);
    in
    config;

  svc = k: "svc${toString k}";
  core = { config, ... }: {
    options = {
      environment.packages = mkOption { type = types.listOf types.str; default = [ ]; };
      networking.firewall.allowedPorts = mkOption { type = types.listOf types.int; default = [ ]; };
      users = mkOption { type = types.attrsOf types.int; default = { }; };
      system.build = mkOption { type = types.str; };
    };
    config.system.build = hashString "sha256" (concatStringsSep " " config.environment.packages);
  };
  service = k: { config, ... }:
    let cfg = config.services.${svc k}; in {
      options.services.${svc k} = {
        enable = mkOption { type = types.bool; default = false; };
        port = mkOption { type = types.int; default = 8000 + k; };
        extraConfig = mkOption { type = types.lines; default = ""; };
      };
      config = mkIf cfg.enable {
        environment.packages = [ "pkg-${svc k}" ];
        networking.firewall.allowedPorts = [ cfg.port ];
        users.${svc k} = 1000 + k;
        services.${svc k}.extraConfig = "listen ${toString cfg.port}";
      };
    };
  enabler = k: { config, ... }: {
    config.services.${svc k} = {
      enable = mkDefault (k - k / 3 * 3 == 0);
      port = mkIf (k - k / 5 * 5 == 0) (mkForce (9000 + k));
      extraConfig = "# service ${toString k}";
    };
  };
  depender = k: { config, ... }: {
    config = mkIf (k > 0 && k * 2 < n) {
      services.${svc (k * 2)}.enable = mkIf config.services.${svc k}.enable true;
    };
  };
  modules = [ core ] ++ concatMap (k: [ (service k) (enabler k) (depender k) ]) (genList (k: k) n);
  config = evalModules modules;
  enabled = filter (s: s.enable) (attrValues config.services);
in
{
  enabled = length enabled;
  packages = length config.environment.packages;
  ports = foldl' (a: b: a + b) 0 config.networking.firewall.allowedPorts;
  users = length (attrNames config.users);
  extraConfig = foldl' (a: s: a + builtins.stringLength s.extraConfig) 0 (attrValues config.services);
  build = config.system.build;
}
