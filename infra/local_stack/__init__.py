"""AWS without an account: template.yaml in a moto server on loopback, the function run on it."""
