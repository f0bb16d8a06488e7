# toXML forces everything it prints.
let
  xs = builtins.genList (i: i * 2) 3;
in
builtins.toXML { inherit xs; n = builtins.length xs; s = "a" + "b"; }
