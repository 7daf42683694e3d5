"""The thin Docker layer: the only code that talks to the Docker SDK, behind small typed, SDK-free protocols.

`types` holds what the rest of deployctl sees (the EngineApi, Container and Network protocols, plain data, the
EngineError family); `engine` (connect, DockerEngine), `containers` and `errors` implement it over docker-py
and are the only modules importing it. `exectransport` runs commands in a container behind `Transport`;
`replicas` reads a replica into plain data for drift. No rollout or health policy lives here.
"""
