// CustomResourceDefinitions for every kind the runbooks and the simulator touch, installed into
// the test control plane so the API server validates objects as a real RHOAI cluster would.
export { crdDirectory, loadCrds } from './load.js';
export { installCrds, type InstallCrdsOptions } from './install.js';
