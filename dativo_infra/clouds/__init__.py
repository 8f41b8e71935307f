"""Each cloud's rules, stated once; pure Python (no cdktf)."""
