# Attribute-set heavy code: listToAttrs, dynamic names, lookups, `//`
# merges into a growing set, mapAttrs, attrNames/attrValues, intersectAttrs,
# removeAttrs, `or` defaults and nested selections.
{ n ? 5000 }:
let
  inherit (builtins)
    listToAttrs genList attrNames attrValues mapAttrs foldl' hasAttr length
    removeAttrs intersectAttrs catAttrs filter;
  name = i: "a${toString i}";
  indices = genList (i: i) n;
  big = listToAttrs (map (i: { name = name i; value = i; }) indices);
  merged = foldl' (acc: i: acc // { ${name (i * 3)} = i; }) { } indices;
  lookups = foldl'
    (acc: i: acc + big.${name i} + (if hasAttr (name (i * 2)) big then 1 else 0) + (big.${name (i + n)} or 7))
    0 indices;
  doubled = mapAttrs (k: v: v * 2 + (merged.${k} or 0)) big;
  nested = map (i: { x = i; y = { z = i * 2; w = { v = i; }; }; }) indices;
  nestedSum = foldl' (acc: s: acc + s.x + s.y.z + s.y.w.v + (s.y.q or 0)) 0 nested;
  sum = foldl' (a: b: a + b) 0;
  records = map (i: { id = i; even = i / 2 * 2 == i; }) indices;
in
{
  size = length (attrNames merged);
  inherit lookups nestedSum;
  doubledSum = sum (attrValues doubled);
  common = length (attrNames (intersectAttrs big merged));
  removed = length (attrNames (removeAttrs big (map name (genList (i: i * 2) (n / 2)))));
  evenIds = sum (catAttrs "id" (filter (r: r.even) records));
  rebuilt = length (attrNames (listToAttrs (map (k: { name = "${k}x"; value = doubled.${k}; }) (attrNames doubled))));
}
