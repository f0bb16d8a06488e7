builtins.replaceStrings [ "a" ] [ true ] "abc"
