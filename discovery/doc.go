// Package discovery registers and finds service instances in the layout
// and JSON of Apache Curator's service discovery (curator-x-discovery),
// which Spring Cloud Zookeeper and Dubbo 3 also write: Go and Java
// services find each other in one registry.
//
// # Guarantees
//
// [Discovery.Register] returns once the instance's node exists. A Dynamic
// instance (the default) is an ephemeral node kept in place by a
// [node.Node] until [Registration.Unregister]: created again in the next
// session after a session loss, and after someone deletes it, once per
// loss, never twice (a create whose reply was lost is adopted). A node of
// another live session with the same service and id is never taken over:
// Register waits for it to go and then fails with [ErrConflict] (see
// [WithConflictWait]). Curator's registerService, which its
// ServiceDiscovery calls again after every reconnection, deletes a node
// it finds at the path and creates its own: it takes over another
// session's node, and its observers see its own instance leave and come
// back after a reconnection. Here a short disconnection changes nothing.
//
// [Registration.Update] writes the node's data (as Curator's
// updateService does): observers see an update, never a departure. The
// updated record is also what later re-creations write.
//
// Records written here are byte for byte what Curator 5's default
// serializer writes for the same values ([Marshal]); records of Curator
// (either serializer mode), Spring Cloud Zookeeper and Dubbo 3 are read
// ([Unmarshal]), payload "@class" and all.
//
// [Discovery.Cache] follows one service's instances through a children
// cache (package cache) and reports each change with the instance in it
// (registered, left, updated), which Curator's ServiceCacheListener does
// not; its list is read from memory. A [Provider] over it picks an
// instance without a request (round-robin, random, sticky), skipping
// disabled instances and those noted down ([Provider.NoteError], Curator's
// DownInstancePolicy).
//
// # Not guaranteed
//
// A crashed or partitioned instance stays listed until the server expires
// its session (its session timeout, plus up to a server tick). Listing is
// a snapshot: instances may come and go right after it; a ServiceCache
// may miss changes while its connection is suspended and catches up
// after. A record that is not valid JSON is skipped and logged. The down
// policy knows only the errors its caller noted: a caller cut off from a
// healthy instance marks it down, and other callers still pick it.
//
// # Znode layout and JSON
//
//	<base>                 container (created when missing)
//	<base>/<name>          container, one per service (created by Register or Cache when missing)
//	<base>/<name>/<id>     one instance: ephemeral (DYNAMIC) or persistent
//	                       (STATIC, PERMANENT); data: the instance's JSON
//
// The JSON, with Curator's member order and types (Jackson's output):
//
//	{"name":"svc","id":"inst-00","address":"127.0.0.1","port":10000,"sslPort":null,
//	 "payload":{"@class":"java.util.LinkedHashMap","zone":"z0","weight":1},
//	 "registrationTimeUTC":1700000000000,"serviceType":"DYNAMIC",
//	 "uriSpec":{"parts":[{"value":"scheme","variable":true},{"value":"://","variable":false},
//	   {"value":"address","variable":true},{"value":":","variable":false},{"value":"port","variable":true}]}}
//
// address, port, sslPort, payload and uriSpec may be null (Go: "", 0,
// nil, ""). "enabled" is written only as false (Curator's default
// serializer leaves it out; absent means true).
//
// # Payloads and Java readers
//
// The payload is kept as raw JSON ([Instance.Payload]). Curator
// serializes it with its Java class in "@class", and a Java reader needs
// that class to load it:
//
//   - a Java ServiceDiscovery built with a Map payload
//     (ServiceDiscoveryBuilder.builder(Map.class)) reads
//     "@class":"java.util.LinkedHashMap": [MapPayload] adds it;
//   - a Java reader with a payload class of its own (Spring's and Dubbo's
//     ZookeeperInstance, or yours) needs "@class" to name that class and
//     the members to match its fields: put "@class" in the value given to
//     MapPayload;
//   - a Go reader decodes any payload with [Instance.DecodePayload] and
//     reads the class with [Instance.Class].
//
// # Compatibility
//
//	writer                         Go reads it   Java reads what Go writes
//	Curator 5, Map payload         yes           yes (tested: curator-x-discovery 5.4, both ways)
//	Curator, own payload class     yes           if the payload's "@class" names that class
//	Curator, "enabled" written     yes           yes (compatibleSerializationMode=false)
//	Spring Cloud Zookeeper         yes           with Spring's "@class" and payload members
//	Dubbo 3 service discovery      yes           with Dubbo's "@class" and payload members
//	DYNAMIC_SEQUENTIAL instances   yes           not registered here
//
// Spring Cloud Zookeeper and Dubbo 3 use the base path /services and a
// payload class of their own (ZookeeperInstance: id, name, metadata).
//
// # Curator equivalent
//
// [Discovery] is ServiceDiscovery: registerService is [Discovery.Register],
// updateService [Registration.Update], unregisterService
// [Registration.Unregister], queryForNames [Discovery.Names],
// queryForInstances [Discovery.Instances], queryForInstance
// [Discovery.Instance]. ServiceCache is [ServiceCache], ServiceProvider
// is [Provider] (RoundRobinStrategy, RandomStrategy and StickyStrategy
// are [RoundRobin], [Random] and [Sticky]). ServiceInstance is [Instance] (its "enabled" is
// the negated [Instance.Disabled], so that the zero Instance is enabled).
//
// # Performance
//
// A Dynamic Register costs one create when the service node exists (the
// base and service nodes are made only when that create finds them
// missing, as Curator's creatingParentContainersIfNeeded does), then one
// exists watch on its own node, sent after Register returned, by which
// its [node.Node] learns of a deletion. A [ServiceCache] follows the
// service with its children cache's persistent recursive watch: a new
// instance costs the observer one getData. Its Cache call creates a
// missing service node first, as Curator's ServiceCache does, so that
// the first registrations need no parent.
//
// Measured (zkr bench discovery-scale, one server, forceSync=no, 50
// instances per client): a ServiceCache holds about 1.2-1.7 KB of heap per
// instance, the same at 100 and 1,000 instances of one service and at 10
// and 100 services of 10 instances.
//
// A new instance reaches a ServiceCache one read after its creation: the
// cache learns the name from the creation event and only then can ask for
// the JSON, which a server busy with writes answers with its next batch of
// them. An observer of names alone (kazoo's ShallowParty) is that one
// batch ahead, and lists instances without their data, some before their
// Register returned; ours never lists an instance without its record.
// Measured in W8 of the anchors' harness (50 instances registering at
// once): see the README's section on servers online and offline.
package discovery
