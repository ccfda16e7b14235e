// JSON Schema of the estate file. Each property carries a `fix` hint that the loader
// prints next to the error, so a wrong estate file tells the user what to write instead.
const guid = {
  type: 'string',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  fix: 'use a GUID such as c0000000-0000-4000-8000-000000000001',
};
const name = { type: 'string', minLength: 1, fix: 'give a non-empty name' };

export const estateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tenants', 'vmmServers'],
  properties: {
    region: { type: 'string', pattern: '^[a-z0-9]+$', fix: 'use an Azure region name in lowercase, e.g. westeurope' },
    tenants: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'tenantId', 'subscriptions', 'apps'],
        properties: {
          name,
          tenantId: guid,
          subscriptions: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['id'],
              properties: { id: guid, displayName: { type: 'string' } },
            },
          },
          apps: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['clientId', 'secret'],
              properties: {
                clientId: guid,
                secret: {
                  type: 'string',
                  minLength: 8,
                  fix: 'give the app a (fake) client secret of at least 8 characters',
                },
                displayName: { type: 'string' },
                consentedTenants: { type: 'array', items: guid },
                certificates: {
                  type: 'array',
                  items: {
                    type: 'string',
                    pattern: '-----BEGIN CERTIFICATE-----',
                    fix: 'paste the PEM of the public certificate (-----BEGIN CERTIFICATE----- …), not the private key',
                  },
                },
              },
            },
          },
        },
      },
    },
    vmmServers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'providerVersion', 'clouds', 'vmNetworks', 'vms'],
        properties: {
          name,
          providerVersion: {
            type: 'string',
            pattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+$',
            fix: 'write the Provider version as four numbers, e.g. 5.1.2250.0',
          },
          uploadMbps: {
            type: 'number',
            exclusiveMinimum: 0,
            fix: 'give the upload rate in megabits per second, e.g. 100',
          },
          hosts: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: { name, agentInstalled: { type: 'boolean' } },
            },
          },
          clouds: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: { name, hostGroups: { type: 'array', items: { type: 'string' } } },
            },
          },
          vmNetworks: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: {
                name,
                subnets: {
                  type: 'array',
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['name', 'addressPrefix'],
                    properties: {
                      name,
                      addressPrefix: {
                        type: 'string',
                        pattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$',
                        fix: 'write a CIDR prefix such as 10.1.0.0/24',
                      },
                    },
                  },
                },
              },
            },
          },
          vms: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'cloud', 'generation', 'osType', 'disks'],
              properties: {
                name,
                cloud: { type: 'string', fix: 'name one of the clouds of this VMM server' },
                host: { type: 'string' },
                generation: { type: 'integer', enum: [1, 2], fix: 'generation is 1 or 2' },
                osType: { type: 'string', enum: ['Windows', 'Linux'], fix: 'osType is Windows or Linux' },
                osName: { type: 'string' },
                cpuCount: { type: 'integer', minimum: 1 },
                memoryMB: { type: 'integer', minimum: 256 },
                networks: { type: 'array', items: { type: 'string' } },
                fibreChannel: { type: 'boolean' },
                physicalDisk: { type: 'boolean' },
                bitlocker: { type: 'boolean' },
                is64Bit: { type: 'boolean' },
                powerState: { type: 'string', enum: ['Running', 'Off'], fix: 'powerState is Running or Off' },
                disks: {
                  type: 'array',
                  minItems: 1,
                  fix: 'list at least the OS disk',
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['name', 'sizeGB', 'format'],
                    properties: {
                      name,
                      sizeGB: { type: 'number', exclusiveMinimum: 0, fix: 'give the disk size in GB, e.g. 4' },
                      usedGB: { type: 'number', minimum: 0 },
                      format: { type: 'string', enum: ['VHD', 'VHDX'], fix: 'format is VHD or VHDX' },
                      os: { type: 'boolean' },
                      shared: { type: 'boolean' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
