# Markup characters and newlines are escaped in attribute values; tabs and
# carriage returns are not.
builtins.toXML {
  "a<b>&\"c'" = "x < y && y > \"z\" 'q'\nnext\ttab\rcr";
}
