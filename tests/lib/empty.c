/* keeps the test helper library non-empty */
typedef int nstest_empty_unit;
