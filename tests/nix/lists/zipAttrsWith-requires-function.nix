builtins.zipAttrsWith null [ ]
