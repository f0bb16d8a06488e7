# Two set literals bound to the same attribute path merge one level deep,
# as in Nix 2.8's parser: a name both give is a duplicate even when both
# values are sets themselves (paths, by contrast, merge at every level).
{ a-b.b = { b = { }; }; a-b.b = { b = { }; }; }
