-- The same policy shape as init.lua, with both spools on RocksDB.
local kumo = require 'kumo'

local SPOOL_ROOT = os.getenv 'SPOOL_ROOT' or '/var/spool/kumomta'
local HOSTNAME = os.getenv 'KUMO_HOSTNAME' or 'mx.example.com'

kumo.on('init', function()
  kumo.start_esmtp_listener {
    listen = '0.0.0.0:25',
    hostname = HOSTNAME,
  }

  local rocks_params = {
    write_buffer_size = 64 * 1024 * 1024,
    compression_type = 'Snappy',
    max_open_files = 1000,
    log_level = 'Warn',
    store_deadline = '30 seconds',
    error_latch_duration = '15s',
  }

  for _, name in ipairs { 'data', 'meta' } do
    kumo.define_spool {
      name = name,
      path = SPOOL_ROOT .. '/' .. name,
      kind = 'RocksDB',
      flush = false,
      rocks_params = rocks_params,
    }
  end
end)

kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
  return kumo.make_queue_config {
    max_age = '3 days',
  }
end)
