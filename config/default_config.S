/* The embedded configuration: config/alluse.yaml (the defaults) and the overlay of
 * each environment (config/<env>.yaml, rt_config_envs), each NUL-terminated. */
	.section .rodata

	.global alluse_default_config
	.type alluse_default_config, @object
alluse_default_config:
	.incbin "config/alluse.yaml"
	.byte 0
	.size alluse_default_config, . - alluse_default_config

	.global alluse_env_development
	.type alluse_env_development, @object
alluse_env_development:
	.incbin "config/development.yaml"
	.byte 0
	.size alluse_env_development, . - alluse_env_development

	.global alluse_env_staging
	.type alluse_env_staging, @object
alluse_env_staging:
	.incbin "config/staging.yaml"
	.byte 0
	.size alluse_env_staging, . - alluse_env_staging

	.global alluse_env_production
	.type alluse_env_production, @object
alluse_env_production:
	.incbin "config/production.yaml"
	.byte 0
	.size alluse_env_production, . - alluse_env_production

	.section .note.GNU-stack,"",@progbits
