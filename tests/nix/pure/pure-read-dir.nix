builtins.readDir ./.
