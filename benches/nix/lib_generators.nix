# lib.generators and lib.strings over n generated records: INI, key-value,
# pretty-printed and JSON output, string escaping, padding and splitting,
# lib.sort and lib.groupBy', as configuration generators use them.
{ n ? 2000 }:
let
  lib = import <nixpkgs-lib/lib>;
  inherit (lib) generators strings;

  record = i: {
    name = "host-${toString i}";
    port = 1024 + lib.mod (i * 37) 4000;
    enabled = lib.mod i 3 == 0;
    tags = map (t: "t${toString t}") (lib.range 0 (lib.mod i 4));
    note = "It's \"${toString i}\"; a $value\twith\nlines";
  };
  records = lib.genList record n;

  ini = generators.toINI { } (lib.listToAttrs (map (r: lib.nameValuePair r.name {
    inherit (r) port enabled;
    tags = lib.concatStringsSep "," r.tags;
  }) records));
  keyValue = generators.toKeyValue { } (lib.listToAttrs
    (map (r: lib.nameValuePair (strings.toUpper (strings.replaceStrings [ "-" ] [ "_" ] r.name))
      (toString r.port)) records));
  pretty = generators.toPretty { } (lib.take 200 records);
  json = generators.toJSON { } records;
  shell = lib.concatMapStringsSep " " (r: strings.escapeShellArg r.note) records;
  table = lib.concatMapStrings (r:
    "${strings.fixedWidthString 12 " " r.name}${strings.fixedWidthNumber 6 r.port}\n") records;
  sorted = lib.sort (a: b: a.port < b.port || (a.port == b.port && a.name < b.name)) records;
  groups = lib.groupBy' (acc: r: acc + r.port) 0 (r: toString (lib.mod r.port 10)) records;
  lines = lib.splitString "\n" (ini + keyValue + table);
in {
  lines = builtins.length lines;
  first = (builtins.head sorted).name;
  groups = groups;
  digest = builtins.hashString "sha256" (lib.concatStrings [ ini keyValue pretty json shell table ]);
}
