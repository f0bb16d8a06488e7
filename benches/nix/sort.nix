# builtins.sort with Nix comparators: `n` pseudo-random integers, and `n`
# records ordered by a key with a tie-break (a total order, so every
# correct sort gives the same list).
{ n ? 30000 }:
let
  inherit (builtins) genList sort foldl' elemAt length;
  hash = i: let x = (i + 1) * 2654435761; in x - (x / 1000003) * 1000003;
  ints = genList hash n;
  sortedInts = sort (a: b: a < b) ints;
  records = genList (i: { key = hash i / 100; id = i; }) n;
  sortedRecords = sort (a: b: a.key < b.key || (a.key == b.key && a.id < b.id)) records;
  descending = sort (a: b: a > b) sortedInts;
  checksum = xs: foldl' (acc: x: (acc * 31 + x) - ((acc * 31 + x) / 1000000007) * 1000000007) 0 xs;
in
{
  ints = checksum sortedInts;
  first = elemAt sortedInts 0;
  last = elemAt sortedInts (n - 1);
  records = checksum (map (r: r.id) sortedRecords);
  descending = checksum descending;
  length = length sortedRecords;
}
