// The `courier` command-line client.
print("courier: not yet implemented")
