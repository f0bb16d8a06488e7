# Sets large enough to be kept in shared chunks: `//` in every
# arrangement, sets grown name by name, removeAttrs, intersectAttrs,
# equality, ordering and positions must not depend on how a set is stored.
let
  inherit (builtins) listToAttrs genList attrNames attrValues foldl' length
    removeAttrs intersectAttrs mapAttrs concatStringsSep filter elemAt;
  name = i: "k${toString i}";
  range = from: count: genList (i: from + i) count;
  setOf = f: is: listToAttrs (map (i: { name = name i; value = f i; }) is);
  sum = foldl' (a: b: a + b) 0;
  summary = s: {
    size = length (attrNames s);
    total = sum (attrValues s);
    first = elemAt (attrNames s) 0;
    names = concatStringsSep "," (filter (n: builtins.stringLength n < 3) (attrNames s));
  };

  big = setOf (i: i) (range 0 500);
  other = setOf (i: 1000 * i) (range 400 300);

  # One name by one, in order and out of order, past several chunks.
  grown = foldl' (acc: i: acc // { ${name i} = i; }) { } (range 0 300);
  grownBackwards = foldl' (acc: i: acc // { ${name (299 - i)} = 299 - i; }) { } (range 0 300);
  overridden = foldl' (acc: i: acc // { ${name (i * 7 - i * 7 / 500 * 500)} = -1; }) big (range 0 120);

  # Overlays: each step merges the whole set with what the overlays made.
  overlays = foldl'
    (acc: k: let added = acc.added // { ${name (k * 37 - k * 37 / 500 * 500)} = k; "extra${toString k}" = k; };
      in { inherit added; set = big // added; })
    { added = { }; set = big; }
    (range 0 200);

  removedFew = removeAttrs big [ "k3" "k250" "k499" "missing" ];
  removedMany = removeAttrs big (map name (range 0 450));
  removedNone = removeAttrs big [ "nope" ];
  removedAll = removeAttrs big (attrNames big);

  literal = { a = 1; b = 2; c = 3; };
  positioned = removeAttrs literal [ "b" ];
  kept = intersectAttrs { a = 0; } literal;
  lineAndColumn = pos: { inherit (pos) line column; };
in
{
  big = summary big;
  bigOther = summary (big // other);
  otherBig = summary (other // big);
  bigSmall = summary (big // { k250 = -250; k1000 = 1; aaa = 2; });
  smallBig = summary ({ k250 = -250; k1000 = 1; aaa = 2; } // big);
  bigBig = (big // big) == big;
  grown = summary grown;
  grownSame = grown == grownBackwards;
  grownEqualsBuilt = grown == setOf (i: i) (range 0 300);
  overridden = summary overridden;
  overlays = summary overlays.set;
  overlaysAdded = summary overlays.added;
  removedFew = summary removedFew;
  removedMany = summary removedMany;
  removedNone = removedNone == big;
  removedAll = removedAll;
  intersectSmallNames = intersectAttrs { k3 = null; k499 = null; k9999 = null; } big;
  intersectBigNames = summary (intersectAttrs big other);
  mapped = summary (mapAttrs (n: v: v * 2) (big // other));
  has = [ (big ? k0) (big ? k499) (big ? k500) ((big // other) ? k699) (removedFew ? k250) ];
  differ = big == (big // { k77 = 0; });
  positionRemoved = lineAndColumn (builtins.unsafeGetAttrPos "a" positioned);
  positionKept = lineAndColumn (builtins.unsafeGetAttrPos "a" kept);
  positionDropped = builtins.unsafeGetAttrPos "b" positioned;
}
