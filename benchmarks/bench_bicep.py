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

from azbackup_policy.discover import FileLoader
from azbackup_policy.parsers import ParseContext
from azbackup_policy.parsers.bicep.build import compile_text, read_unit
from azbackup_policy.parsers.bicep.lexer import Lexer

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
    """Best of three runs; wall clock and CPU time (other jobs share this machine)."""
    best_wall = best_cpu = float("inf")
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        run()  # type: ignore[operator]
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    megabytes = len(text.encode()) / 1e6
    print(f"{label:<22} {megabytes:5.2f} MB: wall {best_wall:5.2f} s = "
          f"{megabytes / best_wall:5.2f} MB/s, cpu {best_cpu:5.2f} s = "
          f"{megabytes / best_cpu:5.2f} MB/s")


def main() -> None:
    text = generate(4_000_000)
    context = ParseContext(FileLoader())
    measure("tokenize", text, lambda: Lexer(text, "bench.bicep").tokenize())
    measure("tokenize+parse", text, lambda: read_unit(text, "bench.bicep", "/bench.bicep", 200))
    measure("tokenize+parse+emit", text,
            lambda: compile_text(text, "bench.bicep", "/bench.bicep", context))


if __name__ == "__main__":
    main()
