-- A KumoMTA policy of the usual shape: listeners, logs, spools and queue
-- configuration, all set up in the init event. spoolkit evaluates it and
-- reads only its kumo.define_spool calls; the other calls are accepted and
-- ignored.
local kumo = require 'kumo'

-- Every spool lives under one root, so a test or a container can move them.
local SPOOL_ROOT = os.getenv 'SPOOL_ROOT' or '/var/spool/kumomta'
local LOG_DIR = os.getenv 'KUMO_LOG_DIR' or '/var/log/kumomta'
local HOSTNAME = os.getenv 'KUMO_HOSTNAME' or 'mx.example.com'

kumo.on('init', function()
  kumo.start_esmtp_listener {
    listen = '0.0.0.0:25',
    hostname = HOSTNAME,
    relay_hosts = { '127.0.0.1', '10.0.0.0/8' },
  }

  kumo.start_http_listener {
    listen = '127.0.0.1:8000',
    trusted_hosts = { '127.0.0.1', '::1' },
  }

  kumo.configure_local_logs {
    log_dir = LOG_DIR,
    max_segment_duration = '1 minute',
  }

  -- Message bodies. flush is off, as in KumoMTA's own examples: a store
  -- survives a crash of the process but not a power loss.
  kumo.define_spool {
    name = 'data',
    path = SPOOL_ROOT .. '/data',
    kind = 'LocalDisk',
    flush = false,
  }

  -- Envelopes: small JSON documents, one per message.
  kumo.define_spool {
    name = 'meta',
    path = SPOOL_ROOT .. '/meta',
    kind = 'LocalDisk',
    flush = false,
    min_free_space = '5%',
    min_free_inodes = '5%',
  }
end)

kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
  return kumo.make_queue_config {
    max_age = '3 days',
    retry_interval = '20 minutes',
  }
end)

kumo.on('get_egress_path_config', function(domain, egress_source, site_name)
  return kumo.make_egress_path {
    connection_limit = 8,
    enable_tls = 'OpportunisticInsecure',
  }
end)
