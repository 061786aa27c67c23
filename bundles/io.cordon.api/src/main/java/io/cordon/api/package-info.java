/**
 * The cordon stage SPI and container model. A stage bundle implements
 * {@link io.cordon.api.IsolationStage}; the orchestrator runs every installed stage
 * for each launch. No implementation lives here.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.3.0")
package io.cordon.api;
