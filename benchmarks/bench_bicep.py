"""Throughput of the Bicep front end: tokenize + parse + emit (ARM dict and positions).

Generates a multi-megabyte Bicep file from the constructs real templates use (loops,
nested children, interpolation, decorators, safe access, modules are left out so the
file stands alone) and prints MB/s. Not a test: run ``python benchmarks/bench_bicep.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from azbackup_policy.discover import FileLoader  # noqa: E402
from azbackup_policy.parsers import ParseContext  # noqa: E402
from azbackup_policy.parsers.bicep.build import compile_text  # noqa: E402
from azbackup_policy.parsers.bicep.lexer import Lexer  # noqa: E402
from azbackup_policy.parsers.bicep.parser import Parser  # noqa: E402

BLOCK = """
@description('Web VM {n}.')
param size{n} 'Standard_B2s' | 'Standard_D2s_v5' = 'Standard_D2s_v5'

var tags{n} = {{
  env: 'prod'
  index: '{n}'
}}

resource nic{n} 'Microsoft.Network/networkInterfaces@2024-05-01' = [for i in range(0, 2): {{
  name: 'nic-{n}-${{i}}'
  location: 'westeurope'
  properties: {{
    ipConfigurations: [
      {{
        name: 'ipconfig1'
        properties: {{
          privateIPAllocationMethod: i == 0 ? 'Dynamic' : 'Static'
          subnet: {{
            id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'snet')
          }}
        }}
      }}
    ]
  }}
}}]

resource vm{n} 'Microsoft.Compute/virtualMachines@2024-07-01' = [for i in range(0, 2): {{
  name: 'vm-{n}-${{i}}'
  location: 'westeurope'
  tags: {{
    ...tags{n}
    role: 'web'
  }}
  properties: {{
    hardwareProfile: {{
      vmSize: size{n}
    }}
    storageProfile: {{
      osDisk: {{
        createOption: 'FromImage'
        caching: 'ReadWrite'
        diskSizeGB: 64
        managedDisk: {{
          storageAccountType: tags{n}.?tier ?? 'Premium_LRS'
        }}
      }}
    }}
    networkProfile: {{
      networkInterfaces: [
        {{
          id: nic{n}[i].id
        }}
      ]
    }}
  }}
}}]

resource vault{n} 'Microsoft.RecoveryServices/vaults@2024-04-01' = {{
  name: 'rsv-{n}'
  location: 'westeurope'
  properties: {{}}

  resource policy 'backupPolicies' = {{
    name: 'pol-{n}'
    properties: {{
      backupManagementType: 'AzureIaasVM'
      instantRpRetentionRangeInDays: 2
    }}
  }}
}}
"""


def generate(target_bytes: int) -> str:
    parts, size, n = [], 0, 0
    while size < target_bytes:
        block = BLOCK.format(n=n)
        parts.append(block)
        size += len(block)
        n += 1
    return "".join(parts)


def measure(label: str, text: str, run: object) -> None:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    megabytes = len(text.encode()) / 1e6
    print(f"{label:<28} {megabytes:6.2f} MB in {elapsed:6.2f} s = {megabytes / elapsed:6.2f} MB/s")


def main() -> None:
    text = generate(4_000_000)
    context = ParseContext(FileLoader())
    measure("tokenize", text, lambda: Lexer(text, "bench.bicep").tokenize())
    measure("tokenize+parse", text, lambda: Parser(
        (lexer := Lexer(text, "bench.bicep")).tokenize(), lexer, 200).program())
    measure("tokenize+parse+emit", text,
            lambda: compile_text(text, "bench.bicep", "/bench.bicep", context))


if __name__ == "__main__":
    main()
