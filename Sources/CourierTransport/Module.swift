// Connection drivers binding the sans-I/O codecs and TLS engine to reactor sockets.
