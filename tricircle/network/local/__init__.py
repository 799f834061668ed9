"""A pod's Neutron plugins: ML2 that materialises central's resources on
first use, with central's ids and addresses, and asks central first."""
