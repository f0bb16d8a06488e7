builtins.replaceStrings [ "x" (throw "from first") ] [ (throw "to") "z" ] (throw "s")
