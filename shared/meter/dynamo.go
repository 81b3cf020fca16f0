package meter

import (
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// dynamoUnits returns the write or read request units of a DynamoDB call, the sum of
// its tables' (dynamoTableUnits).
func dynamoUnits(input, output any, err error) Usage {
	var total Usage
	for _, u := range dynamoTableUnits(input, output, err) {
		total = total.Add(u)
	}
	return total
}

// dynamoTableUnits returns the items and units of a DynamoDB call by the name of the
// table they were written to or read from; nil for calls of other services.
//
// Writes: each item costs its size rounded up to 1 KB (at least 1); a transaction costs
// twice that; a write whose condition failed costs the same as one that succeeded; other
// failures (throttling, validation) cost nothing. The item size is what was sent: the item
// of a put; the key, the update's attribute names and values (or, when the call asked
// for them back, the returned attributes if larger) for an update; the key (or the old
// item returned) for a delete.
//
// Reads: each item read costs its size rounded up to 4 KB (at least 1), half of it when
// eventually consistent, twice when transactional; a query or scan rounds the sum of
// what it returned once. Sizes are those of the items returned, so a projection counts
// less than AWS would.
func dynamoTableUnits(input, output any, err error) map[string]Usage {
	charged := err == nil || conditionFailed(err)
	var t tableUsage
	switch in := input.(type) {
	case *dynamodb.PutItemInput:
		t.add(in.TableName, writes(charged, writeUnits(ItemSize(in.Item))))
	case *dynamodb.UpdateItemInput:
		size := updateSize(in.Key, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
		if out, ok := output.(*dynamodb.UpdateItemOutput); ok && out != nil {
			size = max(size, ItemSize(out.Attributes))
		}
		t.add(in.TableName, writes(charged, writeUnits(size)))
	case *dynamodb.DeleteItemInput:
		size := ItemSize(in.Key)
		if out, ok := output.(*dynamodb.DeleteItemOutput); ok && out != nil {
			size = max(size, ItemSize(out.Attributes))
		}
		t.add(in.TableName, writes(charged, writeUnits(size)))
	case *dynamodb.BatchWriteItemInput:
		batchWrite(&t, in, output, charged)
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			t.add(transactTable(it), writes(charged, 2*writeUnits(transactSize(it))))
		}
	default:
		readUnits(&t, input, output, err == nil)
	}
	return t.m
}

// tableUsage sums usage by table name.
type tableUsage struct{ m map[string]Usage }

// add adds u to the table's usage; a call that names the table counts even when it
// billed nothing.
func (t *tableUsage) add(table *string, u Usage) {
	if t.m == nil {
		t.m = map[string]Usage{}
	}
	name := deref(table)
	t.m[name] = t.m[name].Add(u)
}

// readUnits adds the read units of a read call to t; a failed read bills nothing, but
// still names its table.
func readUnits(t *tableUsage, input, output any, ok bool) {
	switch in := input.(type) {
	case *dynamodb.GetItemInput:
		out, _ := output.(*dynamodb.GetItemOutput)
		u := Usage{ReadUnits: consistency(in.ConsistentRead) * 1}
		if out != nil && out.Item != nil {
			u.Items = 1
			u.ReadUnits = consistency(in.ConsistentRead) * float64(readBlocks(ItemSize(out.Item)))
		}
		t.add(in.TableName, billed(ok, u))
	case *dynamodb.BatchGetItemInput:
		out, _ := output.(*dynamodb.BatchGetItemOutput)
		for _, table := range slices.Sorted(maps.Keys(in.RequestItems)) {
			var u Usage
			if out != nil {
				c := consistency(in.RequestItems[table].ConsistentRead)
				for _, it := range out.Responses[table] {
					u.Items++
					u.ReadUnits += c * float64(readBlocks(ItemSize(it)))
				}
			}
			t.add(&table, billed(ok, u))
		}
	case *dynamodb.QueryInput:
		out, _ := output.(*dynamodb.QueryOutput)
		var u Usage
		if out != nil {
			u = pageReads(out.Items, in.ConsistentRead)
		}
		t.add(in.TableName, billed(ok, u))
	case *dynamodb.ScanInput:
		out, _ := output.(*dynamodb.ScanOutput)
		var u Usage
		if out != nil {
			u = pageReads(out.Items, in.ConsistentRead)
		}
		t.add(in.TableName, billed(ok, u))
	case *dynamodb.TransactGetItemsInput:
		out, _ := output.(*dynamodb.TransactGetItemsOutput)
		for i, g := range in.TransactItems {
			var u Usage
			if g.Get == nil {
				continue
			}
			if out != nil && i < len(out.Responses) {
				u.Items = 1
				u.ReadUnits = 2 * float64(readBlocks(ItemSize(out.Responses[i].Item)))
			}
			t.add(g.Get.TableName, billed(ok, u))
		}
	}
}

// billed is u, or nothing when the call was not billed.
func billed(ok bool, u Usage) Usage {
	if !ok {
		return Usage{}
	}
	return u
}

// pageReads bills a query or scan page: the sizes of its items summed, then rounded.
func pageReads(items []map[string]types.AttributeValue, consistent *bool) Usage {
	size := 0
	for _, it := range items {
		size += ItemSize(it)
	}
	return Usage{Items: int64(len(items)),
		ReadUnits: consistency(consistent) * float64(readBlocks(size))}
}

// batchWrite adds each table's writes to t. What DynamoDB did not process was not
// written, and is sent again by the caller.
func batchWrite(t *tableUsage, in *dynamodb.BatchWriteItemInput, output any, charged bool) {
	out, _ := output.(*dynamodb.BatchWriteItemOutput)
	for _, table := range slices.Sorted(maps.Keys(in.RequestItems)) {
		var u Usage
		for _, r := range in.RequestItems[table] {
			u.Items++
			u.WriteUnits += writeUnits(writeRequestSize(r))
		}
		if out != nil {
			for _, r := range out.UnprocessedItems[table] {
				u.Items--
				u.WriteUnits -= writeUnits(writeRequestSize(r))
			}
		}
		t.add(&table, billed(charged, u))
	}
}

func writeRequestSize(r types.WriteRequest) int {
	switch {
	case r.PutRequest != nil:
		return ItemSize(r.PutRequest.Item)
	case r.DeleteRequest != nil:
		return ItemSize(r.DeleteRequest.Key)
	}
	return 0
}

func transactTable(it types.TransactWriteItem) *string {
	switch {
	case it.Put != nil:
		return it.Put.TableName
	case it.Update != nil:
		return it.Update.TableName
	case it.Delete != nil:
		return it.Delete.TableName
	case it.ConditionCheck != nil:
		return it.ConditionCheck.TableName
	}
	return nil
}

func transactSize(it types.TransactWriteItem) int {
	switch {
	case it.Put != nil:
		return ItemSize(it.Put.Item)
	case it.Update != nil:
		return updateSize(it.Update.Key, it.Update.ExpressionAttributeNames,
			it.Update.ExpressionAttributeValues)
	case it.Delete != nil:
		return ItemSize(it.Delete.Key)
	case it.ConditionCheck != nil:
		return ItemSize(it.ConditionCheck.Key)
	}
	return 0
}

// updateSize estimates the size of an updated item from what the update sends: its key,
// plus each attribute name and value of its expressions.
func updateSize(key map[string]types.AttributeValue, names map[string]string,
	values map[string]types.AttributeValue) int {
	size := ItemSize(key)
	for _, n := range names {
		size += len(n)
	}
	for _, v := range values {
		size += ValueSize(v)
	}
	return size
}

// writes is one item of wru write units, or nothing when the write was not charged.
func writes(charged bool, wru int64) Usage {
	return billed(charged, Usage{Items: 1, WriteUnits: wru})
}

func writeUnits(size int) int64 { return max(1, ceilDiv(size, WriteUnitBytes)) }

func readBlocks(size int) int64 { return max(1, ceilDiv(size, ReadUnitBytes)) }

// consistency is the read units of one 4 KB block: 1 strongly consistent, 0.5 eventually.
func consistency(consistent *bool) float64 {
	if consistent != nil && *consistent {
		return 1
	}
	return 0.5
}

// ItemSize returns the size DynamoDB bills for an item: for each attribute, the UTF-8
// bytes of its name plus the size of its value.
func ItemSize(item map[string]types.AttributeValue) int {
	size := 0
	for name, v := range item {
		size += len(name) + ValueSize(v)
	}
	return size
}

// ValueSize returns the size of an attribute value by DynamoDB's documented rules:
// strings their UTF-8 bytes, binaries their raw bytes, numbers one byte per two
// significant digits plus one, null and booleans one byte, lists and maps 3 bytes plus
// one byte and the size of each element, sets the sum of their elements.
func ValueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return NumberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += NumberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + ValueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + ValueSize(e)
		}
		return n
	}
	return 0
}

// NumberSize returns the billed size of a number: (significant digits + 1) / 2 + 1,
// leading and trailing zeros trimmed.
func NumberSize(s string) int {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	digits = strings.Trim(digits, "0")
	if digits == "" {
		return 1
	}
	return (len(digits)+1)/2 + 1
}
