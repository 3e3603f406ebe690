"""Pure retention maths: no ORM, no database; imported by the models and tested directly."""
