"""The extension these tests install, and the two values the receiver takes
from it: deskmock's conformance extension, from the source tree. A project
of yours has its own extension folder, secret and ignoreSourceId."""
import os

EXTENSION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                         "fixtures", "extensions", "conformance")
SECRET = "conformance-secret-0001"
SOURCE_ID = "7d1f2b7e-3c4a-4e1b-9a3f-5b6c7d8e9f01"
