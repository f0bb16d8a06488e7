# Deep forcing (deepSeq, toJSON, the strict printer) walks a shared value
# once, however it is shared: a binary DAG 60 levels deep has 2^60 paths,
# and a walk that visited each would never end. Sharing through a `let`
# binding (one thunk in two places), through one value in two list slots,
# through large sets whose chunks other sets share, and cycles.
let
  inherit (builtins) deepSeq genList listToAttrs toJSON length attrNames;
  viaThunks = n: if n == 0 then { leaf = 1; } else let s = viaThunks (n - 1); in { l = s; r = s; };
  viaList = n: if n == 0 then [ 1 ] else let s = viaList (n - 1); in [ s s ];
  viaSetAndList = n: if n == 0 then { v = [ 0 ]; } else let s = viaSetAndList (n - 1); in { both = [ s s ]; };
  big = listToAttrs (genList (i: { name = "a${toString i}"; value = { x = [ i ]; }; }) 100);
  overlays = genList (i: big // { "k${toString i}" = { y = i; }; }) 50;
  cyclic = { self = cyclic; list = [ cyclic cyclic ]; n = 1; };
  fresh = genList (i: { i = i; sq = [ (i * i) { deep = [ i ]; } ]; }) 1000;
in
{
  thunks = deepSeq (viaThunks 60) "walked once";
  lists = deepSeq (viaList 60) "walked once";
  mixed = deepSeq (viaSetAndList 60) "walked once";
  chunks = deepSeq overlays (length overlays);
  cycle = deepSeq cyclic cyclic.n;
  tree = deepSeq fresh (length fresh);
  json = toJSON (viaThunks 3);
  names = attrNames (builtins.elemAt overlays 7);
}
