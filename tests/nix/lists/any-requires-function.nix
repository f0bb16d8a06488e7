# Like every Nix, `any` (and foldl', all, concatMap, partition, groupBy,
# zipAttrsWith) requires a function even when it has nothing to call it on.
builtins.any null [ ]
