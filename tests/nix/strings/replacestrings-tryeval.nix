# replaceStrings forces every element of `from`, then the string, then the
# replacements it uses; errors while doing so are caught by tryEval.
let
  caught = e: (builtins.tryEval e).success;
in
{
  from = caught (builtins.replaceStrings [ (throw "x") ] [ "a" ] "b");
  laterFrom = caught (builtins.replaceStrings [ "a" (throw "x") ] [ "c" "d" ] "a");
  fromList = caught (builtins.replaceStrings (throw "x") [ "a" ] "b");
  toList = caught (builtins.replaceStrings [ "a" ] (throw "x") "b");
  string = caught (builtins.replaceStrings [ "a" ] [ "b" ] (throw "x"));
  emptyPattern = caught (builtins.replaceStrings [ "" ] [ (throw "x") ] "ab");
  deep = caught (builtins.deepSeq (builtins.replaceStrings [ (throw "x") ] [ "a" ] "b") 1);
  fine = builtins.tryEval (builtins.replaceStrings [ "a" "b" ] [ "1" "2" ] "abc");
}
