"""Programme tables of the acceptance area: acceptances, expert reviews, benchmark decisions."""
