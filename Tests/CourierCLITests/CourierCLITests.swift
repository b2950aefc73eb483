// The CLI's end-to-end tests.
