# genList forces its length but not its function: each element applies the
# function when it is forced itself (Nix 2.8).
let
  failing = builtins.genList (throw "no function") 3;
  partly = builtins.genList (x: if x == 1 then throw "element" else x) 3;
in
{
  length = builtins.length failing;
  empty = builtins.genList (throw "no function") 0;
  notAFunction = builtins.length (builtins.genList "x" 3);
  lengthCaught = builtins.tryEval (builtins.genList (x: x) (throw "length"));
  elementCaught = builtins.tryEval (builtins.elemAt failing 0);
  deepCaught = builtins.tryEval (builtins.deepSeq failing 1);
  deepInListCaught = builtins.tryEval (builtins.deepSeq [ failing ] 1);
  deepElementCaught = builtins.tryEval (builtins.deepSeq partly 1);
  others = [ (builtins.elemAt partly 0) (builtins.elemAt partly 2) ];
}
