# name:folder — every .c in the folder builds build/bin/<name>.
PROGRAM_LIST := \
	alluse:tools/alluse \
	alluse-shm:tools/alluse-shm \
	alluse-feed:feeders/alluse-feed \
	alluse-worker:workers/protocol \
	alluse-rules:workers/rules \
	alluse-ctl:tools/alluse-ctl \
	alluse-feedsend:tools/alluse-feedsend \
	alluse-record:tools/alluse-record \
	alluse-bench:bench \
	alluse-audit:tools/alluse-audit
