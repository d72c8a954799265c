/* The embedded default configuration (config/alluse.yaml), NUL-terminated. */
	.section .rodata
	.global alluse_default_config
	.type alluse_default_config, @object
alluse_default_config:
	.incbin "config/alluse.yaml"
	.byte 0
	.size alluse_default_config, . - alluse_default_config
	.section .note.GNU-stack,"",@progbits
