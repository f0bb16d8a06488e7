# Float literals at the edges of the range that Nix accepts.
[ 0.0e-400 0.0 2.2250738585072014e-308 1.7976931348623157e308 ]
