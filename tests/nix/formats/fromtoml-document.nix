# Tables, dotted keys, arrays of tables, inline tables and every scalar kind.
builtins.fromTOML ''
  title = "example"
  "quoted key" = 'literal \n string'
  multi = """
  two
  lines"""
  ints = [ +99, -17, 1_000, 0xDEAD_beef, 0o755, 0b1101, 9223372036854775807, -9223372036854775808 ]
  floats = [ 1.0, -0.01, 5e+22, 1e6, -2E-2, 6.626e-34, 9_224_617.445_991 ]
  bools = [ true, false ]
  mixed = [ 1, "two", [ 3.0 ], { four = 4 } ]

  [server]
  host.name = "localhost"
  host.port = 8080

  [server.limits]
  max = 10

  [[users]]
  name = "a"

  [[users]]

  [[users]]
  name = "c"
  roles = [ "admin" ]
''
