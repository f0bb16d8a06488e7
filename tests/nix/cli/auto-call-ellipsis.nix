# A function with `...` is given every automatic argument.
{ ... }@args: builtins.attrNames args
