# toJSON of a large structure of `n` records (strings, integers, booleans,
# null, nested sets and lists), then its length, a prefix and a hash.
{ n ? 30000 }:
let
  inherit (builtins) genList toJSON stringLength substring hashString;
  item = i: {
    id = i;
    name = "item-${toString i}";
    tags = [ "t${toString (i - i / 5 * 5)}" "x" ];
    nested = { ok = i / 2 * 2 == i; nothing = null; list = genList (j: j + i) 5; text = "quote \" and \\ and \n"; };
  };
  data = { items = genList item n; meta = { count = n; version = "1.0"; }; };
  json = toJSON data;
in
{
  length = stringLength json;
  head = substring 0 200 json;
  hash = hashString "sha256" json;
}
