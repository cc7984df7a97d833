// Command peresources prints the resource types a Windows executable
// carries (ICON, GROUP_ICON, VERSION, MANIFEST, …), one per line, read
// from its .rsrc section with debug/pe. scripts/check-packages.sh uses it:
// objdump names the resource directory but not what is in it.
//
//	go run ./scripts/peresources FILE.exe
package main

import (
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// resourceTypes names the standard resource type ids.
var resourceTypes = map[uint32]string{
	1: "CURSOR", 2: "BITMAP", 3: "ICON", 4: "MENU", 5: "DIALOG", 6: "STRING",
	9: "ACCELERATOR", 10: "RCDATA", 12: "GROUP_CURSOR", 14: "GROUP_ICON",
	16: "VERSION", 24: "MANIFEST",
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: peresources FILE.exe")
		os.Exit(2)
	}
	types, err := resourceTypeIDs(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "peresources:", err)
		os.Exit(1)
	}
	for _, id := range types {
		name := resourceTypes[id]
		if name == "" {
			name = fmt.Sprintf("TYPE_%d", id)
		}
		fmt.Println(name)
	}
}

// resourceTypeIDs reads the first level of the resource directory: the
// ids of the types present.
func resourceTypeIDs(path string) ([]uint32, error) {
	f, err := pe.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sec := f.Section(".rsrc")
	if sec == nil {
		return nil, errors.New("no .rsrc section: no resources")
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("read .rsrc: %w", err)
	}
	// IMAGE_RESOURCE_DIRECTORY: 12 bytes, then the counts of named and
	// id entries; each entry is 8 bytes (name or id, offset).
	if len(data) < 16 {
		return nil, errors.New(".rsrc too short")
	}
	named := int(binary.LittleEndian.Uint16(data[12:]))
	ids := int(binary.LittleEndian.Uint16(data[14:]))
	var out []uint32
	for i := range named + ids {
		off := 16 + 8*i
		if off+8 > len(data) {
			return nil, errors.New(".rsrc entries cut short")
		}
		name := binary.LittleEndian.Uint32(data[off:])
		if name&0x80000000 != 0 {
			continue // a named type: not a standard one
		}
		out = append(out, name&0xffff)
	}
	return out, nil
}
