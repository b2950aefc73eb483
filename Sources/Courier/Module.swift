// The public client.
