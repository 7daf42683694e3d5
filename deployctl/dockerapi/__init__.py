"""The thin Docker layer: the only code that talks to the Docker SDK, behind small typed, SDK-free protocols.

`types` holds what the rest of the engine sees (protocols, plain data, errors); `engine`, `containers` and
`swarm` implement them over docker-py; `exectransport` runs commands in a container behind `Transport`.
"""
