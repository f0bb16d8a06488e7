builtins.fromTOML (''
  basic = "tab\tquote\"backslash\\unicode\u00E9\U0001F600"
  literal = 'C:\Users\nobody'
  ml = """\
    folded \
    line"""
'' + "mll = '''\nraw\n  text'''\n")
