# Once a lookup has evaluated a `with`'s set, a variable from it in a lazy
# position (here a list element) is looked up when the list is made, as in
# Nix 2.8, so a missing name fails at once although nothing forces it.
with { a = 1; }; builtins.seq a (builtins.length [ a missing ])
