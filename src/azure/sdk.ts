// The Azure SDK surface the rest of asrflow may name. The gateway (this folder) is the only code
// that imports @azure/* packages (lint-enforced): the SDK's versions, wire types and client
// classes are known in one place, and swapping or pinning one touches only here. Tests that
// check the SDK's own behaviour against the emulator take the client classes from here too.
export { NetworkManagementClient, type VirtualNetwork } from '@azure/arm-network';
export { RecoveryServicesClient } from '@azure/arm-recoveryservices';
export {
  SiteRecoveryManagementClient,
  type Job,
  type ReplicationProtectedItem,
  type ReplicationProviderSpecificContainerMappingInputUnion,
} from '@azure/arm-recoveryservices-siterecovery';
export { ResourceManagementClient } from '@azure/arm-resources';
export { StorageManagementClient, restorePoller, type StorageAccount } from '@azure/arm-storage';
export { RestError, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
export { ClientSecretCredential, type TokenCredential } from '@azure/identity';
