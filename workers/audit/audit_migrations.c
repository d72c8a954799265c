/* The SQL migrations of db/migrations/, linked into the library as bytes (the
 * build runs from the repository root, where .incbin resolves the paths), so the
 * audit process applies exactly the files of the tree it was built from.
 * tests/audit/test_audit_pg.c checks the embedded text against the files. */
#include "workers/audit/audit_pg.h"

#define EMBED(sym, path)                                                                           \
	__asm__(".section .rodata\n"                                                               \
		".global " #sym "\n"                                                               \
		".type " #sym ", @object\n" #sym ":\n"                                             \
		".incbin \"" path "\"\n"                                                           \
		".byte 0\n"                                                                        \
		".size " #sym ", . - " #sym "\n"                                                   \
		".previous\n")

EMBED(audit_mig_0001, "db/migrations/0001_audit_record.sql");
EMBED(audit_mig_0002, "db/migrations/0002_audit_views.sql");

extern const char audit_mig_0001[];
extern const char audit_mig_0002[];

static const struct audit_migration MIGRATIONS[] = {
	{1, "0001_audit_record", audit_mig_0001},
	{2, "0002_audit_views", audit_mig_0002},
};

const struct audit_migration *audit_migrations(unsigned *n)
{
	*n = sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0]);
	return MIGRATIONS;
}
