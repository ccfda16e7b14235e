// The Azure SDK surface that code outside the gateway may name: the client classes and a few
// pipeline types, for tests that check the SDK's own behaviour against the emulator. The gateway
// (this folder) is the only code that imports @azure/* packages (lint-enforced): the SDK's
// versions, wire types and client classes are known in one place.
export { NetworkManagementClient } from '@azure/arm-network';
export { RecoveryServicesClient } from '@azure/arm-recoveryservices';
export { SiteRecoveryManagementClient, type ReplicationProtectedItem } from '@azure/arm-recoveryservices-siterecovery';
export { ResourceManagementClient } from '@azure/arm-resources';
export { StorageManagementClient } from '@azure/arm-storage';
export { RestError, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
export { ClientSecretCredential, type TokenCredential } from '@azure/identity';
