# A NUL byte cannot be in a Nix string: Nix 2.8 refuses such a file.
builtins.readFile ./bytes-nul.bin
